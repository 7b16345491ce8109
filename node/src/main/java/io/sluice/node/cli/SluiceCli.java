package io.sluice.node.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code sluice} command: the server, a local development cluster, and the client commands.
 *
 * <p>Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. Every error is
 * one line on standard error, {@code sluice: error: <what was wrong>}; {@code --verbose} adds the
 * stack trace.
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = SluiceCli.Version.class,
    description = "Sluice: a Raft-replicated, partitioned message log.",
    subcommands = {
      ServerCommand.class,
      LocalClusterCommand.class,
      TopicCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      ClusterCommand.class,
      CheckHistoryCommand.class,
      VerifyCommand.class,
      GroupCommand.class,
      BenchCommand.class,
      CertsCommand.class,
      AuthCommand.class,
      AclCommand.class,
      QuotaCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 success, 1 the operation failed, 2 usage error.",
      "Client commands read SLUICE_BOOTSTRAP when --bootstrap is not given, and SLUICE_TOKEN when neither"
          + " --token nor --token-file is given."
    })
public final class SluiceCli implements Callable<Integer> {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  private final CliIo io;

  @Spec CommandSpec spec;

  SluiceCli(CliIo io) {
    this.io = io;
  }

  /** The JDK property that sizes the common fork-join pool; read once, when the pool is first used. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    // With fewer than 3 cores the common pool's parallelism is 1, and then every CompletableFuture
    // "...Async" call without an executor starts a new thread. Ratis does that once per
    // appendEntries on a follower: on the 2-core benchmark machine thread starts were 40 % of a
    // follower's gRPC executor's CPU in a one-at-a-time e2e run. So ask for at least 2, first thing,
    // before anything uses the pool; -D on the command line (SLUICE_JAVA_OPTS) still wins.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    CommandLine commandLine = newCommandLine(CliIo.system());
    commandLine.setExecutionStrategy(SluiceCli::executeWithClientLogging);
    System.exit(commandLine.execute(args));
  }

  /**
   * Runs one command line against the given streams and returns its exit code. Unlike
   * {@link #main}, leaves the process's logging configuration alone, so it can run inside tests.
   */
  static int execute(CliIo io, String... args) {
    return newCommandLine(io).execute(args);
  }

  static CommandLine newCommandLine(CliIo io) {
    CommandLine commandLine = new CommandLine(new SluiceCli(io));
    commandLine.setOut(io.outWriter());
    commandLine.setErr(io.errWriter());
    commandLine.setParameterExceptionHandler(CliErrors::handleUsageError);
    commandLine.setExecutionExceptionHandler(CliErrors::handleExecutionError);
    return commandLine;
  }

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command");
  }

  /** The streams of the running command line, for commands that need raw bytes. */
  static CliIo io(CommandSpec anyCommand) {
    return ((SluiceCli) anyCommand.root().userObject()).io;
  }

  /**
   * Client commands log warnings only, to standard error, so that their standard output stays clean
   * for pipes. The server keeps whatever logging configuration it brings.
   */
  private static int executeWithClientLogging(ParseResult parseResult) {
    ParseResult leaf = CliErrors.leaf(parseResult);
    if (!(leaf.commandSpec().userObject() instanceof ServerCommand)) {
      CliLogging.configureForClient(CliErrors.isVerbose(parseResult));
    }
    return new CommandLine.RunLast().execute(parseResult);
  }

  /** Reports the version from the jar manifest, when the build wrote one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = SluiceCli.class.getPackage().getImplementationVersion();
      return new String[] {"sluice " + (version == null ? "(development build)" : version)};
    }
  }
}
