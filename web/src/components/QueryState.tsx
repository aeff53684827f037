import { Alert, Spin } from "antd";
import type { ReactNode } from "react";

/** Loading and error states of a query, in one place. */
export function QueryState({ isLoading, error, children }: { isLoading: boolean; error: unknown; children: ReactNode }) {
  if (isLoading) return <Spin style={{ display: "block", margin: 32 }} />;
  if (error)
    return (
      <Alert
        type="error"
        showIcon
        message="Không tải được dữ liệu"
        description={error instanceof Error ? error.message : String(error)}
      />
    );
  return <>{children}</>;
}
