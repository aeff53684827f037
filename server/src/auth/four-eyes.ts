import { ForbiddenError } from "../errors";
import type { Principal } from "./principal";

/**
 * Four eyes (nguyên tắc bốn mắt): whoever submitted figures or a completion report may not approve or
 * accept it themselves; a colleague must. Returning one's own work stays possible.
 */
export function requireSecondPerson(principal: Principal, authors: readonly (string | null)[], what: string): void {
  // `what` names the act and its object: "phê duyệt số liệu", "công nhận báo cáo".
  if (principal.userId !== null && authors.includes(principal.userId))
    throw new ForbiddenError(`Bạn không thể tự ${what} do chính mình gửi: cần một người khác`);
}
