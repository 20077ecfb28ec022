/** One view of the dashboard. `mount` runs once, on first display. */
export interface Tab {
  readonly id: string;
  readonly title: string;
  mount(panel: HTMLElement): void;
  /** The view became visible. */
  activate?(): void;
  /** Another view was chosen. */
  deactivate?(): void;
}
