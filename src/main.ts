// Entry point of the studio page: mounts the Svelte app and starts the engine worker.
import { mount } from 'svelte';
import App from './App.svelte';
import './ui/app.css';
import { studio } from './ui/studio.svelte.ts';

studio.start();
mount(App, { target: document.getElementById('app')! });
