/**
 * One Content-Security-Policy for the workbench, sent by the browser-mode server and by the
 * Electron app:// protocol. Monaco and Plotly need workers from 'self' or blob: and inline styles;
 * nothing needs inline scripts or eval. connect-src 'self' covers the engine's WebSocket.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
