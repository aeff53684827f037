import { Spin, Typography } from "antd";

/** What shows while a page's code or the session loads: a spinner that says so, to screen readers too. */
export function PageLoading({ text = "Đang tải trang…", margin = 48 }: { text?: string; margin?: number }) {
  return (
    <div role="status" aria-live="polite" className="page-loading" style={{ margin, textAlign: "center" }}>
      <Spin size="large" />
      <Typography.Text type="secondary" style={{ display: "block", marginTop: 12 }}>
        {text}
      </Typography.Text>
    </div>
  );
}
