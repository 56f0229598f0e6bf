/**
 * One live instance per store namespace (spec: instances must not interfere — two live
 * instances appending to one namespace would overwrite each other's entries, each numbering
 * its own). Process-wide; an instance still shutting down on a namespace is waited for, so
 * `init` right after `shutdown()` reads what the old one wrote last.
 */
import { param } from '../log.js';

interface Owner {
  /** Set once the owner's shutdown began: resolves when its storage is closed. */
  closing: Promise<void> | null;
}

const open = new Map<object | string, Map<string, Owner>>();

export interface NamespaceClaim {
  /** Marks the claim as closing: a new claimant waits for `done` first. */
  closing(done: Promise<void>): void;
  /** Gives the namespace up (only this claim, only once). */
  release(): void;
}

/** Waits for a closing owner, then claims `namespace` of `store`; throws while another live instance holds it. */
export async function claimNamespace(store: object | string, namespace: string): Promise<NamespaceClaim> {
  const owners = open.get(store) ?? new Map<string, Owner>();
  open.set(store, owners);
  for (let owner = owners.get(namespace); owner?.closing; owner = owners.get(namespace)) await owner.closing;
  if (owners.has(namespace)) throw new Error(`app key ${param(namespace)} is in use on this storage by another live instance`);
  const mine: Owner = { closing: null };
  owners.set(namespace, mine);
  let released = false;
  return {
    closing(done) {
      if (!mine.closing) mine.closing = done;
    },
    release() {
      if (released) return;
      released = true;
      if (owners.get(namespace) === mine) owners.delete(namespace);
    },
  };
}
