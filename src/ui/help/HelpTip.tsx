import { useEffect, useId, useRef, useState } from 'react';
import { type HelpKey, SETTINGS_HELP, type SettingHelp } from './settingsHelp';

// KaTeX and its fonts load with the first formula shown, not with the page.
const loadKatex = () =>
  Promise.all([import('katex'), import('katex/dist/katex.min.css')]).then(([m]) => m.default);

/** TeX typeset by KaTeX (with MathML for screen readers); the source shows until it loads. */
export function Formula({ tex }: { tex: string }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let current = true;
    el.textContent = tex;
    void loadKatex().then((katex) => {
      if (current) katex.render(tex, el, { displayMode: true, throwOnError: false });
    });
    return () => {
      current = false;
    };
  }, [tex]);
  return (
    <section
      ref={ref}
      className="formula"
      aria-label="formula"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a formula wider than the panel scrolls, and a scrolling region must be reachable from the keyboard (WCAG 2.1.1).
      tabIndex={0}
      data-testid="formula"
    />
  );
}

function HelpBody({ help }: { help: SettingHelp }) {
  return (
    <>
      <p>{help.what}</p>
      <dl>
        <dt>Usual</dt>
        <dd>{help.range}</dd>
        {help.tooBig && (
          <>
            <dt>Too big</dt>
            <dd>{help.tooBig}</dd>
          </>
        )}
        {help.tooSmall && (
          <>
            <dt>Too small</dt>
            <dd>{help.tooSmall}</dd>
          </>
        )}
        {help.tradeOff && (
          <>
            <dt>Trade-off</dt>
            <dd>{help.tradeOff}</dd>
          </>
        )}
      </dl>
      {help.formula && (
        <figure>
          <Formula tex={help.formula.tex} />
          <figcaption>{help.formula.where}</figcaption>
        </figure>
      )}
    </>
  );
}

/**
 * A "?" button beside a control's label that shows what the setting does: a disclosure (click,
 * Enter or Space toggles it; Escape closes it and returns focus to the button), never hover-only.
 */
export function HelpTip({ topic }: { topic: HelpKey }) {
  const help = SETTINGS_HELP[topic];
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      const focused = document.activeElement;
      setOpen(false);
      if (focused === button.current || panel.current?.contains(focused)) button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <span className="help-tip">
      <button
        ref={button}
        type="button"
        className="help-button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={`About ${help.label}`}
        data-testid={`help-${topic}`}
        onClick={() => setOpen((o) => !o)}
      >
        ?
      </button>
      <div
        ref={panel}
        id={panelId}
        className="help-panel"
        hidden={!open}
        data-testid={`help-panel-${topic}`}
      >
        {open && <HelpBody help={help} />}
      </div>
    </span>
  );
}
