// Small shared pieces of the console's pages: error and empty states, status messages,
// a typed-name confirmation for destructive actions, and the hash router's link helper.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from './api';

export function href(...parts: (string | number)[]): string {
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
}

export function ErrorBox(props: { error: ApiError | Error | null; what?: string }) {
  if (!props.error) return null;
  const e = props.error as ApiError;
  return (
    <div class="error" role="alert">
      {props.what ? <strong>{props.what}: </strong> : null}
      {e.message}
      {e.code ? <code class="code"> {e.code}</code> : null}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

export function Loading() {
  return <p class="loading" aria-busy="true">Loading…</p>;
}

/** A polite live region for the outcome of an action. */
export function Notice(props: { text: string | null }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {props.text ?? ''}
    </p>
  );
}

/** A destructive action that needs the resource's name typed first. */
export function ConfirmByName(props: { name: string; action: string; disabled?: boolean; disabledReason?: string; onConfirm: () => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const id = `confirm-${props.action.replace(/\W+/g, '-')}`;
  if (!open) {
    return (
      <div class="danger-zone">
        <button class="danger" disabled={props.disabled} onClick={() => setOpen(true)}>
          {props.action}…
        </button>
        {props.disabled && props.disabledReason ? <span class="hint"> {props.disabledReason}</span> : null}
      </div>
    );
  }
  return (
    <form
      class="danger-zone confirm"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await props.onConfirm();
          setOpen(false);
        } catch (err) {
          setError(err as ApiError);
        } finally {
          setBusy(false);
        }
      }}
    >
      <label for={id}>
        Type <code>{props.name}</code> to confirm: {props.action.toLowerCase()}
      </label>
      <input id={id} value={typed} autoFocus autocomplete="off" onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
      <button class="danger" type="submit" disabled={typed !== props.name || busy}>
        {busy ? 'Working…' : props.action}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; warn?: boolean }) {
  return (
    <div class={`stat${props.warn ? ' warn' : ''}`}>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}
