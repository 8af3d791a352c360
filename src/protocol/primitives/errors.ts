// Errors thrown by the wire codec. They are OUR errors, not Kafka error codes: a
// ProtocolDecodeError means the peer sent bytes we cannot parse (the connection should be
// closed, as Kafka's SocketServer does on an InvalidRequestException), a ProtocolEncodeError
// means the caller handed the encoder data that cannot be written in the requested version
// (a bug in the caller, as Kafka's UnsupportedVersionException / NullPointerException are
// in its generated Java codecs). Kafka errors inside a response are data (see ../errors.ts).
//
// Codes are stable strings (fastify style): TIDELOG_ERR_<AREA>_<WHAT>.

/** The bytes could not be decoded: truncated frame, bad length, bad varint, trailing bytes. */
export class ProtocolDecodeError extends Error {
  readonly code = 'TIDELOG_ERR_PROTOCOL_DECODE';
  /** Byte offset in the frame buffer where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'ProtocolDecodeError';
    this.offset = offset;
  }
}

/** The data could not be encoded in the requested version (caller bug). */
export class ProtocolEncodeError extends Error {
  readonly code = 'TIDELOG_ERR_PROTOCOL_ENCODE';

  constructor(message: string) {
    super(message);
    this.name = 'ProtocolEncodeError';
  }
}
