// The native TemplatedApp has close() (it closes the listen socket and every
// connection); the package's types leave it out.
import 'uWebSockets.js';
declare module 'uWebSockets.js' {
  interface TemplatedApp {
    close(): TemplatedApp;
  }
}
