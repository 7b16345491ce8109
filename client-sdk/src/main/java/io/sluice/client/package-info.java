/**
 * The Sluice Java SDK: {@link io.sluice.client.SluiceClient} with its
 * {@link io.sluice.client.Producer}, {@link io.sluice.client.Consumer} and
 * {@link io.sluice.client.Admin}, their configuration and values, and the typed
 * {@link io.sluice.client.SluiceException}s that say whether a failed write was rejected,
 * is retriable, or has an unknown outcome. Everything else is in {@code io.sluice.client.internal}.
 */
package io.sluice.client;
