// The streamfold dashboard: polls the query API once a second and renders with DOM nodes and
// textContent only — keys and values are user data and may hold markup, so nothing goes through
// innerHTML. No framework, no build step, no external assets.
//
// This module only wires the page: the token form, the state browser (browser.js) and the status
// poll (status.js). The other modules: api.js (token, requests), dom.js, format.js, metrics.js.
import { clearToken, saveToken, token } from './api.js';
import { initBrowser } from './browser.js';
import { $ } from './dom.js';
import { retryMetrics } from './metrics.js';
import { poll } from './status.js';

function init() {
  $('token').value = token();
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    saveToken($('token').value.trim());
    retryMetrics();
  });
  $('token-clear').addEventListener('click', () => {
    clearToken();
    $('token').value = '';
  });
  initBrowser();
  void poll();
}

init();
