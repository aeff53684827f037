import type { SyncLink } from "../../api/types";

export interface LinkStatus {
  label: string;
  /** An Ant Design tag colour. */
  color: string;
  /** What the status means, for a tooltip. */
  help: string;
}

/** A link's state in one word: paused, late (no success for 10 minutes), failing, waiting for its first pull, or syncing. */
export function linkStatus(l: SyncLink): LinkStatus {
  if (!l.enabled) return { label: "Tạm dừng", color: "default", help: "Kết nối đang tạm dừng, không lấy dữ liệu" };
  if (l.late) return { label: "Chậm", color: "red", help: "Quá 10 phút chưa đồng bộ được" };
  if (l.failures > 0)
    return { label: "Lỗi", color: "orange", help: `Lần đồng bộ gần nhất không thành công (${l.failures} lần liên tiếp)` };
  if (!l.lastSuccessAt) return { label: "Chờ đồng bộ", color: "blue", help: "Chưa đồng bộ lần nào" };
  return { label: "Đang đồng bộ", color: "green", help: "Đồng bộ bình thường" };
}
