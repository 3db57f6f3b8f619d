// How a benchmark page reports to scripts/bench.mjs: one JSON object per console line.

export function emit(figure: Record<string, unknown>): void {
  console.log(JSON.stringify(figure));
}

/** Runs the page's benchmark, then signals the end (or the error) to the runner. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => emit({ done: true }),
    (e: unknown) => emit({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
