// SaslAuthenticate: v0-2 (KIP-152)
// v0: the SASL tokens of the mechanism chosen by SaslHandshake v1.
// v1: sessionLifetimeMs (KIP-368): connections.max.reauth.ms when it is set, 0 otherwise; a
//   client that sent v0 is not told and its connection closes when the session expires.
// v2: flexible.
// Errors: SASL_AUTHENTICATION_FAILED with Kafka's messages ("Authentication failed: Invalid
// username or password" for PLAIN; "Authentication failed during authentication due to invalid
// credentials with SASL mechanism SCRAM-SHA-256" for SCRAM, which does not say whether the user
// exists), then the connection closes; ILLEGAL_SASL_STATE without a handshake first, after
// authentication, or on a listener that is not SASL (Kafka's KafkaApis answer).
// On success the connection's principal becomes User:<name>.
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';

export const saslAuthenticateHandler = defineHandler({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const result = ctx.services.sasl.authenticate(ctx.connection, request.authBytes, ctx.apiVersion);
    if (result.close !== null) ctx.closeAfterResponse = result.close;
    return { errorCode: result.errorCode, errorMessage: result.errorMessage, authBytes: result.authBytes, sessionLifetimeMs: result.sessionLifetimeMs };
  },
});
