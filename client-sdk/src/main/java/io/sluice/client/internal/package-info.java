/**
 * SDK internals: channels and error mapping, cluster metadata, the producer's accumulator and
 * sender, the consumer and admin implementations. Not a public API: may change without notice.
 */
package io.sluice.client.internal;
