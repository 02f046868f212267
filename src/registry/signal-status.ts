import type { Kysely } from "kysely";
import { SignalStatus } from "../gen/openpassmarket/v1/signal_pb.js";
import type { Database } from "../storage/index.js";

const STATUS_TEXT: Record<SignalStatus, string> = {
  [SignalStatus.UNSPECIFIED]: "unspecified",
  [SignalStatus.ACCEPTED]: "accepted",
  [SignalStatus.PROVISIONAL]: "provisional",
  [SignalStatus.REFUSED]: "refused",
};

/** The stored text of a signal status. */
export function signalStatusText(status: SignalStatus): string {
  return STATUS_TEXT[status];
}

/** The status stored as `text`; unspecified for anything else (a job without a signal). */
export function signalStatusOf(text: string | null | undefined): SignalStatus {
  const found = Object.entries(STATUS_TEXT).find(([, t]) => t === text);
  return found === undefined ? SignalStatus.UNSPECIFIED : (Number(found[0]) as SignalStatus);
}

/** Sets the status of the signals `ids`. */
export async function setSignalStatus(db: Kysely<Database>, ids: readonly string[], status: SignalStatus): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable("signals").set({ status: STATUS_TEXT[status] }).where("id", "in", ids).execute();
}
