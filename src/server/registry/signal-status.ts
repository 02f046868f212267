import { sql, type Kysely } from "kysely";
import { SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
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

/**
 * Refuses every signal of `adapter` that no other adapter corroborated: all but those
 * whose job belongs to a spot-check group (original, check, tie-break) in which another
 * adapter's signal is accepted. Returns how many were refused. Used on quarantine: a
 * proven liar's unchecked claims no longer count.
 */
export async function refuseUncorroborated(db: Kysely<Database>, adapter: string): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    update signals set status = ${STATUS_TEXT[SignalStatus.REFUSED]}
    where adapter = ${adapter} and status <> ${STATUS_TEXT[SignalStatus.REFUSED]}
      and id not in (
        select j.signal_id from jobs j
        join jobs k on k.id <> j.id and k.signal_id <> ''
          and (k.check_of = j.id or j.check_of = k.id or (j.check_of <> '' and k.check_of = j.check_of))
        join signals peer on peer.id = k.signal_id and peer.adapter <> ${adapter} and peer.status = ${STATUS_TEXT[SignalStatus.ACCEPTED]}
        where j.signal_id <> '')
    returning id`.execute(db);
  return rows.length;
}
