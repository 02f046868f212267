import { OpmError } from "../../kernel/errors/index.js";
import { ensembleSearch } from "./ensemble.js";
import { greedySearch } from "./greedy-search.js";
import { localSearch } from "./local-search.js";
import { marketFirst } from "./market-first.js";
import { randomSearch } from "./random-search.js";
import { screenSearch } from "./screen-search.js";
import type { StrategyDefinition } from "./strategy.js";
import { transfer } from "./transfer.js";

/**
 * Every strategy `--strategy NAME` can select, the default first. Adding one is one file and
 * one entry here. `ensemble` leads: on the leave-one-out bench (bench/RESULTS.md, *Transfer
 * and search*: 37 LLVM and 16 GCC programs with a market) it beats random and greedy on
 * both; on an empty market random is level with it or ahead (*Local search and the bandit ensemble*).
 */
export const STRATEGIES: readonly StrategyDefinition[] = [ensembleSearch, randomSearch, greedySearch, screenSearch, marketFirst, transfer, localSearch];

/** The strategy called `name`; throws invalid_argument naming the flag and the choices. */
export function strategyNamed(name: string, flag = "strategy"): StrategyDefinition {
  const found = STRATEGIES.find((s) => s.name === name);
  if (found === undefined) {
    throw new OpmError("invalid_argument", `--${flag}: unknown value ${JSON.stringify(name)}; expected one of ${STRATEGIES.map((s) => s.name).join(", ")}`);
  }
  return found;
}
