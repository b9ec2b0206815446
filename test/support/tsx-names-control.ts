/** tsx-names-probe.ts's control: a closure named each time `control` runs. */
export function control(): number {
  const inner = () => 1;
  return inner();
}
