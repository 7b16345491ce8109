package io.sluice.node.cli;

/** Lets tests outside this package (those that need TestCluster) run the CLI in-process. */
public final class CliForTests {

  /** Exit code and captured output of one run. */
  public record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private CliForTests() {}

  public static Result run(String... args) {
    CliRun run = CliRun.run(args);
    return new Result(run.exitCode(), run.out(), run.err());
  }
}
