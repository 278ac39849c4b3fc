/**
 * The gateway control protocol: binary, length-prefixed, versioned frames; the message types;
 * HMAC-SHA256 challenge authentication; sequence numbers. Pure functions, no sockets.
 */
export {
  encodeFrame,
  encodeFrames,
  decodeChunk,
  decodeAll,
  FrameDecoder,
  initialDecoderState,
  protocolErrorText,
  FRAME_HEADER_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  PROTOCOL_VERSION,
  MAX_SEQ,
  type DecodedFrame,
  type DecoderLimits,
  type DecoderState,
  type DecodeStep,
  type ProtocolError,
} from './frame.js';
export {
  messageCodes,
  type ControlMessage,
  type MessageType,
  type MessageOf,
  type LunInfo,
  type StatsEntry,
  type ConfigSetting,
  type AlertSeverity,
} from './messages.js';
export { newAuthNonce, computeAuthMac, verifyAuthMac, AUTH_NONCE_BYTES, AUTH_MAC_BYTES } from './auth.js';
export { SequenceCounter } from './seq.js';
export { GATEWAY_ID_PATTERN, GATEWAY_ID_MAX_LENGTH, gatewayIdProblem } from './gateway-id.js';
export { implausibleStats, STATS_BOUNDS } from './plausible.js';
export { StatsBatchWriter, readStatsBatch, type StatsBatch } from './stats-batch.js';
export {
  ACCESS_MAX_LUNS,
  ACCESS_MAX_HOSTS_PER_LUN,
  ACCESS_MAX_GRANTS,
  ACCESS_MAX_NAME_BYTES,
  accessNameProblem,
  type AccessListWire,
  type AccessGrantWire,
  type AccessModeCode,
} from './access.js';
