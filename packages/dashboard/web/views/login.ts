import { fetchDictionary, fetchQuery, TokenRefused } from '../api.js';
import { h, uid } from '../dom.js';
import { utcDay } from '../range.js';
import { setToken } from '../session.js';

/**
 * The sign-in form. The token is checked with one small query before it is kept (in sessionStorage only), so a
 * wrong token is refused here rather than on every chart.
 */
export function renderLogin(main: HTMLElement, options: { message?: string; onSignedIn: () => void }): void {
  const inputId = uid('token');
  const hintId = uid('token-hint');
  const error = h('p', { class: 'field-error', role: 'alert', id: uid('token-error') });
  const input = h('input', {
    id: inputId,
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': `${hintId} ${error.id}`,
  });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card login',
      'aria-labelledby': 'login-title',
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) {
          error.textContent = 'Enter an access token.';
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        button.disabled = true;
        error.textContent = '';
        try {
          const [first] = (await fetchDictionary()).metrics;
          if (!first) throw new Error('the collector has no metrics to query');
          const today = utcDay(new Date());
          // Any grouping the metric is released by will do: the answer only has to be authorised.
          const by = first.releases[0]?.by ?? 'day';
          await fetchQuery({ metric: first.name, by, from: today, to: today }, undefined, token);
          setToken(token);
          options.onSignedIn();
        } catch (failure) {
          error.textContent =
            failure instanceof TokenRefused
              ? 'The collector refused that token. Check it and try again.'
              : `Could not sign in: ${(failure as Error).message}`;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          input.select();
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h2', { id: 'login-title' }, 'Sign in to see statistics'),
    options.message ? h('p', { class: 'notice', role: 'status' }, options.message) : null,
    h('label', { for: inputId }, 'Access token'),
    h(
      'p',
      { id: hintId, class: 'muted' },
      'Issued by whoever runs this collector. It is kept for this browser tab only and never put in a link.',
    ),
    input,
    button,
    error,
    h(
      'p',
      {},
      'No token? The ',
      h('a', { href: '#/dictionary' }, 'data dictionary'),
      ' is public: it lists every metric this app can report.',
    ),
  );
  main.append(form);
  input.focus();
}
