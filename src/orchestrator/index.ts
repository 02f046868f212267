export { GreedySearch } from "./greedy-search.js";
export { RandomSearch } from "./random-search.js";
export { runSearch } from "./run-search.js";
export type { SearchResult, SearchRun } from "./run-search.js";
export { searchSpace, SIZE_PREFIX } from "./search-space.js";
export { seededRandom } from "./seeded-random.js";
export { bestOf, planKey } from "./strategy.js";
export type { Evaluation, SearchSpace, Strategy } from "./strategy.js";
