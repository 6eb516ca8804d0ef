// Ambient types: Svelte component modules and Vite's client (`?raw` imports, import.meta.env).
/// <reference types="svelte" />
/// <reference types="vite/client" />
