// The native TemplatedApp has close() (it closes the listen socket and every
// connection); the package's types leave it out. See STACK.md.
import 'uWebSockets.js';
declare module 'uWebSockets.js' {
  interface TemplatedApp {
    close(): TemplatedApp;
  }
}
