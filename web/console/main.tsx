/**
 * The CEN console (SPEC §7): sign-in, Instances, a CEN's page, Tickets. Hash routes
 * (`#/instances`, `#/cens/<cenId>/<tab>`, `#/tickets`) keep every page on the one index file.
 * The API key lives in sessionStorage only: never localStorage, a cookie, the URL or a log.
 */
import { render } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { type ApiError, client, toApiError } from './api';
import { CenPage } from './cen';
import { InstancesPage } from './instances';
import { TicketsPage } from './tickets';
import { ErrorAlert, type Session, SessionContext } from './ui';

const KEY = 'cen-console.apiKey';

async function open(apiKey: string): Promise<Session> {
  const api = client(apiKey);
  // One call tries the key; the catalogue comes with it.
  const me = await api.whoami();
  const [areas, regions] = await Promise.all([api.areas(), api.regions()]);
  return { api, accountId: me.accountId, role: me.role, areas, regions };
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return hash;
}

function SignIn(props: { onSignIn: (session: Session) => void; error: ApiError | null }) {
  const id = useId();
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError | null>(props.error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await open(key.trim());
      sessionStorage.setItem(KEY, key.trim());
      props.onSignIn(session);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>CEN Console</h1>
      <form onSubmit={submit}>
        <div class="field">
          <label for={id}>API key</label>
          <input
            id={id}
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </div>
        <ErrorAlert error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="hint">
        Local demo keys: <code>local-tenant-a</code>, <code>local-tenant-b</code>, <code>local-operator</code>
        .
      </p>
    </main>
  );
}

function Shell(props: { session: Session; onSignOut: () => void }) {
  const hash = useHash();
  const [, page, id, tab] = hash.split('/');
  const here = page === 'tickets' ? 'tickets' : page === 'cens' && id ? 'cen' : 'instances';
  useEffect(() => {
    if (here === 'instances' && page !== 'instances') history.replaceState(null, '', '#/instances');
  }, [here, page]);
  return (
    <SessionContext.Provider value={props.session}>
      <header>
        <span class="brand">CEN Console</span>
        <nav aria-label="Main">
          <a href="#/instances" aria-current={here !== 'tickets' ? 'page' : undefined}>
            Instances
          </a>
          <a href="#/tickets" aria-current={here === 'tickets' ? 'page' : undefined}>
            Tickets
          </a>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </nav>
        <span class="who">
          {props.session.accountId} ({props.session.role})
        </span>
      </header>
      <main>
        {here === 'tickets' && <TicketsPage />}
        {here === 'instances' && <InstancesPage />}
        {here === 'cen' && <CenPage key={id} cenId={decodeURIComponent(id!)} tab={tab} />}
      </main>
    </SessionContext.Provider>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => sessionStorage.getItem(KEY) !== null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const saved = sessionStorage.getItem(KEY);
    if (saved === null) return;
    open(saved).then(
      (s) => {
        setSession(s);
        setRestoring(false);
      },
      (e: unknown) => {
        sessionStorage.removeItem(KEY);
        setError(toApiError(e));
        setRestoring(false);
      },
    );
  }, []);
  if (restoring) return <p class="loading">Loading…</p>;
  if (!session) {
    return (
      <SignIn
        error={error}
        onSignIn={(s) => {
          setError(null);
          location.hash = '#/instances';
          setSession(s);
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        sessionStorage.removeItem(KEY);
        history.replaceState(null, '', location.pathname);
        setSession(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
