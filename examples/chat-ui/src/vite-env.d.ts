/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_B24_EMULATOR_URL?: string;
  readonly VITE_B24_DIALOG?: string;
  readonly VITE_B24_TOKEN?: string;
  readonly VITE_B24_USER?: string;
}
