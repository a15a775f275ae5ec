/** The console's building blocks: labelled fields, tables, modal dialogs and error alerts (SPEC §7.1). */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useId, useRef, useState } from 'preact/hooks';
import { type Api, type ApiError, type Area, type Region, toApiError } from './api';

export interface Session {
  api: Api;
  accountId: string;
  role: 'tenant' | 'operator';
  areas: Area[];
  regions: Region[];
}

export const SessionContext = createContext<Session | null>(null);
export const useSession = () => useContext(SessionContext)!;

export function ErrorAlert({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      <strong>{error.code}</strong>: {error.message}
    </p>
  );
}

export interface Option {
  value: string;
  label: string;
}

interface InputProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
}

/** A visible label that is the control's accessible name, and the control. */
function Input(
  props: InputProps & {
    type: 'text' | 'number';
    required?: boolean;
    maxLength?: number;
    pattern?: string;
    min?: number;
    max?: number;
  },
) {
  const id = useId();
  const { label, onInput, type, ...attrs } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'number' ? (
        <input
          id={id}
          type="number"
          inputMode="numeric"
          step={1}
          {...attrs}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      ) : (
        <input id={id} type="text" {...attrs} onInput={(e) => onInput(e.currentTarget.value)} />
      )}
    </div>
  );
}

export const TextField = (
  props: InputProps & { required?: boolean; maxLength?: number; pattern?: string },
) => <Input type="text" {...props} />;

/** An integer field (a spinbutton): required, within [min, max]. */
export const NumberField = (props: InputProps & { min: number; max: number }) => (
  <Input type="number" required {...props} />
);

export function SelectField(props: {
  label: string;
  value: string;
  options: Option[];
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} required onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div class="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />
      <label for={id}>{props.label}</label>
    </div>
  );
}

export function Table(props: {
  caption: string;
  headers: string[];
  empty: string;
  children: ComponentChildren[];
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.children.length ? (
            props.children
          ) : (
            <tr>
              <td colSpan={props.headers.length} class="empty">
                {props.empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A modal dialog named by its title (a native <dialog>: focus moves in, Escape closes). The
 * confirm button sends one request; on success the dialog closes and the caller re-reads, on
 * failure it stays open with every value as entered and the error inside it.
 */
export function Dialog(props: {
  title: string;
  confirm?: string;
  cancel?: boolean;
  onConfirm: () => Promise<unknown> | unknown;
  onClose: (done: boolean) => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => {
      ref.current?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
    } catch (e) {
      setError(toApiError(e));
      setBusy(false);
      return;
    }
    props.onClose(true);
  };
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose(false);
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        <ErrorAlert error={error} />
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {props.confirm ?? 'OK'}
          </button>
          {props.cancel !== false && (
            <button type="button" onClick={() => props.onClose(false)}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}

/** Data loaded from the API, with its error; `reload` re-reads it. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => live && setError(toApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [...deps, version]);
  return { data, error, reload: () => setVersion((v) => v + 1) };
}

export const day = (iso: string) => iso.slice(0, 10);
export const time = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

export const regionOptions = (regions: Region[]): Option[] =>
  regions.map((r) => ({ value: r.regionId, label: `${r.name} (${r.regionId})` }));
export const areaOptions = (areas: Area[]): Option[] =>
  areas.map((a) => ({ value: a.areaId, label: a.name }));

export const PERIODS = { Month: [1, 2, 3, 6], Year: [1, 2, 3] } as const;
export type Cycle = keyof typeof PERIODS;
export const CYCLES: Option[] = [
  { value: 'Month', label: 'Month' },
  { value: 'Year', label: 'Year' },
];
export const periodOptions = (cycle: Cycle): Option[] =>
  PERIODS[cycle].map((n) => ({ value: String(n), label: `${n} ${cycle}${n > 1 ? 's' : ''}` }));

/** Pricing Cycle and Duration: changing the cycle resets the duration to one that cycle allows. */
export function PeriodFields(props: {
  cycle: Cycle;
  period: string;
  onChange: (cycle: Cycle, period: string) => void;
}) {
  return (
    <>
      <SelectField
        label="Pricing Cycle"
        value={props.cycle}
        options={CYCLES}
        onChange={(c) => props.onChange(c as Cycle, '1')}
      />
      <SelectField
        label="Duration"
        value={props.period}
        options={periodOptions(props.cycle)}
        onChange={(p) => props.onChange(props.cycle, p)}
      />
    </>
  );
}
