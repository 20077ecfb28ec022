import type { Store } from '../../../src/store/store.js';

/** A fresh, opened store and how to dispose of it (close, remove files). */
export type MakeStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** Run `fn` on a fresh store, disposed of afterwards whatever happens. */
export async function withStore(make: MakeStore, fn: (store: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await make();
  try {
    await fn(store);
  } finally {
    await cleanup();
  }
}
