/**
 * Calls `onHide` when the page is going away (pagehide, or the tab hidden), at most once at a time: the two events
 * often fire together and one send on the way out is enough. Returns the function that stops listening; outside
 * a browser it does nothing.
 */
export function onPageHide(onHide: () => Promise<unknown>): () => void {
  if (typeof addEventListener !== 'function' || typeof document === 'undefined') return () => undefined;
  let hiding = false;
  const hide = () => {
    if (hiding) return;
    hiding = true;
    void onHide().finally(() => {
      hiding = false;
    });
  };
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') hide();
  };
  addEventListener('pagehide', hide);
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    removeEventListener('pagehide', hide);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}
