import type { ValueTest } from '../interfaces/compiled-branch.interface';
import type { EventLeaf } from '../interfaces/event-leaves.interface';
import type { JsonScalar, PatternField } from '../interfaces/pattern-condition.interface';
import { ipAddressKey, parseIpAddress } from '../parse/ip-address.parser';
import { AffixTable } from './affix.table';
import { appended } from './array-append.helper';
import type { FieldOption, Lookup } from './field.planner';
import { type Reach, type State, newState } from './index-state.model';
import { Keyed } from './keyed.table';
import { RangeTable } from './range.table';
import { hashBit, partHashBit } from './value.hasher';

interface Scan<T> {
  readonly test: ValueTest;
  readonly state: State<T>;
}

/**
 * The steps from one state on one field. The table is itself the keyed table of its exact strings,
 * numbers, booleans and null (values of different types never collide), the step most patterns
 * take, so that taking it reaches one object less, rarely in the processor's caches. The other
 * tables are created on first use: most stay empty.
 */
export class StepTable<T> extends Keyed<JsonScalar, T> {
  private addresses?: Keyed<string, T>;
  private folded?: Keyed<string, T>;
  private affixes?: AffixTable<T>[];
  private ranges?: RangeTable<T>;
  private present?: State<T>;
  /** By field, so that alternatives sharing one (written beside their `$or`) test it once. */
  private scans?: Map<PatternField, Scan<T>>;
  /**
   * While the table only holds exact, `equals-ignore-case` and either prefix or suffix values
   * (case-sensitive), one bit per exact value hash (see `hashBit`); -1 once anything else is
   * filed, as ranges, presence, tests and other affixes cannot be hashed.
   */
  mask = 0;
  /** Beside `mask`, one bit per hash of the lowered `equals-ignore-case` values. */
  foldedMask = 0;
  /**
   * Beside `mask`, one bit per hash of the affixes cut to `affixLength` characters: the length of
   * the first affix filed, positive for prefixes and negative for suffixes. An affix of the
   * other kind, or shorter, makes `mask` -1.
   */
  affixMask = 0;
  affixLength = 0;

  constructor(readonly slot: number) {
    super();
  }

  /** The states the field's alternatives lead to, created when new. */
  targets({ plan, field }: FieldOption): State<T>[] {
    if (plan.kind !== 'lookup') this.mask = -1;
    else {
      for (const lookup of plan.lookups) {
        const exact = lookup.table === 'strings' || lookup.table === 'numbers';
        if (exact || lookup.table === 'literals') this.mask |= hashBit(lookup.value);
        else if (lookup.table === 'folded') this.foldedMask |= hashBit(lookup.value);
        else if (lookup.table === 'prefixes' || lookup.table === 'suffixes') {
          this.fileAffix(lookup.table === 'suffixes', lookup.value);
        } else this.mask = -1;
      }
    }
    switch (plan.kind) {
      case 'present':
        return [(this.present ??= newState())];
      case 'scan': {
        const scans = (this.scans ??= new Map<PatternField, Scan<T>>());
        let scan = scans.get(field);
        if (!scan) {
          scan = { test: plan.test, state: newState() };
          scans.set(field, scan);
        }
        return [scan.state];
      }
      default:
        return plan.lookups.map((lookup) => this.target(lookup));
    }
  }

  /** Calls `reach` with every state a value of `leaves` leads to (and maybe more). */
  probe(leaves: readonly EventLeaf[], reach: Reach<T>, stamp: number): void {
    if (this.present) reach(this.present);
    for (const { value } of leaves) {
      this.reach(value, reach);
      if (typeof value === 'string') {
        if (this.addresses) {
          const address = parseIpAddress(value);
          if (address) this.addresses.reach(ipAddressKey(address), reach);
        }
        if (this.folded) this.folded.reach(value.toLowerCase(), reach);
        if (this.affixes) for (const table of this.affixes) table.probe(value, reach);
      } else if (typeof value === 'number') {
        this.ranges?.probe(value, reach);
      }
    }
    if (this.scans) {
      for (const { test, state } of this.scans.values()) {
        if (state.seen !== stamp && leaves.some((leaf) => test(leaf.value))) reach(state);
      }
    }
  }

  private fileAffix(suffix: boolean, value: string): void {
    // An empty affix is no filter: every string has it.
    if (value.length === 0) {
      this.mask = -1;
      return;
    }
    if (this.affixLength === 0) this.affixLength = suffix ? -value.length : value.length;
    const size = Math.abs(this.affixLength);
    if (suffix !== this.affixLength < 0 || value.length < size) {
      this.mask = -1;
      return;
    }
    const start = suffix ? value.length - size : 0;
    this.affixMask |= partHashBit(value, start, start + size);
  }

  private target(lookup: Lookup): State<T> {
    switch (lookup.table) {
      case 'strings':
      case 'numbers':
      case 'literals':
        return this.obtain(lookup.value);
      case 'addresses':
        return (this.addresses ??= new Keyed()).obtain(lookup.value);
      case 'folded':
        return (this.folded ??= new Keyed()).obtain(lookup.value);
      case 'ranges':
        return (this.ranges ??= new RangeTable()).target(lookup.min, lookup.max);
      default: {
        let table = this.affixes?.find((candidate) => candidate.kind === lookup.table);
        if (!table) {
          table = new AffixTable(lookup.table);
          this.affixes = appended(this.affixes, table);
        }
        return table.target(lookup.length, lookup.value);
      }
    }
  }
}
