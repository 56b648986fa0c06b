/** A paper's labelled topics (from a labels file) or predicted ones (best first). */
export interface TopicSet {
  topics: readonly string[];
  primary: string | null;
}

export interface TaggingScore {
  papers: number;
  truePositives: number;
  predicted: number;
  labelled: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of papers whose top-ranked predicted topic is the labelled primary topic. */
  primaryAccuracy: number;
  /** Share of papers whose top-ranked predicted topic is among the labelled topics. */
  topInLabels: number;
}

/** Micro-averaged precision, recall and F1 over all (paper, topic) pairs, plus primary accuracy. */
export function scoreTagging(pairs: readonly { predicted: TopicSet; labelled: TopicSet }[]): TaggingScore {
  let tp = 0;
  let predicted = 0;
  let labelled = 0;
  let primaryHits = 0;
  let topHits = 0;
  for (const pair of pairs) {
    const truth = new Set(pair.labelled.topics);
    predicted += pair.predicted.topics.length;
    labelled += truth.size;
    tp += pair.predicted.topics.filter((t) => truth.has(t)).length;
    const top = pair.predicted.topics[0];
    if (top !== undefined && top === pair.labelled.primary) primaryHits++;
    if (top !== undefined && truth.has(top)) topHits++;
  }
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = labelled === 0 ? 0 : tp / labelled;
  const n = pairs.length;
  return {
    papers: n,
    truePositives: tp,
    predicted,
    labelled,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    primaryAccuracy: n === 0 ? 0 : primaryHits / n,
    topInLabels: n === 0 ? 0 : topHits / n,
  };
}
