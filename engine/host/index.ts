export { createEngine } from './engine.js';
export { EngineService, type MethodHandlers, type StreamHandlers, type CallContext, type StreamContext } from './service.js';
export { startBrowserServer, type BrowserServer, type BrowserServerOptions } from './browser-server.js';
export { messagePortServerChannel, type MessagePortMainLike } from './port-transport.js';
export { EngineClient, type ConnectionState, type StreamOptions } from './client.js';
export { webSocketChannel, messagePortChannel, connectWebSocket, type WebSocketLike, type WebMessagePortLike } from './client-transports.js';
export { RpcError, type RpcErrorCode, type RpcErrorBody, type ClientMessage, type ServerMessage, type RpcChannel } from './wire.js';
export { CONTENT_SECURITY_POLICY } from './csp.js';
export * from './contract.js';
