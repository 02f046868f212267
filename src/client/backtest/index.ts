// Offline backtests on a recorded delta log (`opm replay LOG --strategy S`): a strategy
// re-run against the recorded evaluations, misses counted, and a recorded campaign's
// decisions reproduced.
export { backtest, missKeys } from "./backtest.js";
export type { BacktestHost, BacktestOptions, BacktestReport } from "./backtest.js";
export { RecordedLog } from "./recorded-log.js";
export type { RecordedEvaluation, RecordedSignal } from "./recorded-log.js";
export { recordedMarket } from "./recorded-market.js";
export type { RecordedMarketView } from "./recorded-market.js";
export { reproduceCampaign } from "./reproduce-campaign.js";
export type { Reproduction } from "./reproduce-campaign.js";
export { runBacktest } from "./run-backtest.js";
export type { BacktestResult, BacktestRun } from "./run-backtest.js";
export { toolchainHost } from "./toolchain-host.js";
