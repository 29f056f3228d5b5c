import { mount } from 'svelte';
import App from './App.svelte';
import { startBenchTrace } from './lib/api/benchtrace';
import './style.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });

void startBenchTrace(); // does nothing unless DOORSTEP_BENCH_TRACE is set
