// RecordsSource: a records payload that is not in memory (for example a slice of a log
// segment file that the connection layer sends with sendfile / a native copy). The codec
// only needs its length: Writer.writeRecords() writes the length prefix, closes the current
// in-memory chunk and appends the source itself to the output parts, so
// Writer.finishParts() returns [Buffer, source, Buffer, ...] in wire order. Whoever sends
// the parts must recognise its own source objects (anything that is not a Buffer).

export interface RecordsSource {
  /** Exact number of bytes this source contributes to the frame. */
  readonly byteLength: number;
}

/** One piece of an encoded frame: in-memory bytes or an external records source. */
export type FramePart = Buffer | RecordsSource;

/** The bytes of a records field on encode: in memory, external, or null. */
export type RecordsValue = Buffer | RecordsSource | null;
