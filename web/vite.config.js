import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the frontend with hot reload and forwards the server's
// paths to a running trellisd (TRELLISD_URL, default the run script's port).
const trellisd = process.env.TRELLISD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/socket.io': { target: trellisd, ws: true, changeOrigin: true },
      '/api': { target: trellisd, ws: true, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1200,
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.js'],
  },
});
