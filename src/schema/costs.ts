// How much a field can return, declared next to the field (in its `extensions`), so that the
// query-cost plugin (plugins/query-cost.ts) bounds a request's work before it runs. Every list
// of objects has a bound: a maximum size, a size argument, or the true size where it is small
// and known (the taxonomy). Registers no types.

/** What the cost of a request may depend on beyond its arguments: sizes that change rarely. */
export interface CatalogueStats {
  /** How many topics there are (areas included). */
  topics: number;
  /** How many areas (topics without a parent) there are. */
  roots: number;
  /** The most children any area has. */
  maxChildren: number;
}

export interface FieldCost {
  /** The most items this list field returns, from its arguments. */
  list?: (args: Record<string, unknown>, stats: CatalogueStats) => number;
  /** The most items of each list inside the object this field returns (a facet's lists). */
  childLists?: (args: Record<string, unknown>) => number;
  /**
   * Extra weight of a scalar field per object, for long texts (an abstract is up to 10 kB):
   * it counts as this many nodes, so that the limit also bounds the bytes of a response.
   */
  weight?: number;
}

/** `extensions` of a field with this cost. */
export const cost = (fieldCost: FieldCost) => ({ extensions: { cost: fieldCost } });

const numberArg = (args: Record<string, unknown>, name: string, fallback: number) => {
  const value = args[name];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
};

/** A list of at most `n` items. */
export const atMost = (n: number) => cost({ list: () => n });

/** A list of at most the `first` argument's items (`fallback` when absent). */
export const firstArg = (fallback: number, name = 'first') => cost({ list: (args) => numberArg(args, name, fallback) });

/** A list as long as the list argument `name` (each item names one result). */
export const oneEach = (name: string) =>
  cost({ list: (args) => (Array.isArray(args[name]) ? (args[name] as unknown[]).length : 0) });
