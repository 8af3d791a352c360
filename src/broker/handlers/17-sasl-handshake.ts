// SaslHandshake: v0-1 (KIP-43; v1: KIP-152, the tokens follow in SaslAuthenticate requests)
// v0: after a successful handshake the client sends raw SASL tokens without Kafka headers
//   (Kafka 4.x still serves v0; the SASL layer answers those frames, see sasl-authenticator.ts).
// v1: the tokens come in SaslAuthenticate.
// Answers the listener's enabled mechanisms. UNSUPPORTED_SASL_MECHANISM for a mechanism the
// listener does not offer (the connection closes after the response, as Kafka closes it);
// ILLEGAL_SASL_STATE on a listener that is not SASL, or on an authenticated connection when
// re-authentication (connections.max.reauth.ms) is off. With it on, a handshake on an
// authenticated connection starts re-authentication (KIP-368) with the same mechanism.
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';

export const saslHandshakeHandler = defineHandler({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const result = ctx.services.sasl.handshake(ctx.connection, request.mechanism, ctx.apiVersion);
    if (result.close !== null) ctx.closeAfterResponse = result.close;
    return { errorCode: result.errorCode, mechanisms: [...result.mechanisms] };
  },
});
