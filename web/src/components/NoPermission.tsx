import { Button, Result } from "antd";
import { Link } from "react-router-dom";

/** A page of the app the signed-in person's role may not open (reached by a shared or typed address). */
export function NoPermission() {
  return (
    <Result
      status="403"
      title="Bạn không có quyền xem trang này"
      subTitle="Trang này dành cho vai trò khác. Nếu công việc của bạn cần đến trang này, hãy liên hệ quản trị hệ thống."
      extra={
        <Link to="/">
          <Button type="primary">Về trang chủ</Button>
        </Link>
      }
    />
  );
}
