import { Tag } from "antd";
import type { TaskStatus } from "../../api/types";

export const taskStatusColors: Record<TaskStatus, string> = {
  not_yet_due: "default",
  in_progress: "blue",
  due_soon: "gold",
  overdue: "red",
  done_on_time: "green",
  done_late: "orange",
  cancelled: "default",
  adjusted: "purple",
};

export const taskStatusOptions: { value: TaskStatus; label: string }[] = [
  { value: "overdue", label: "Quá hạn" },
  { value: "due_soon", label: "Sắp đến hạn" },
  { value: "in_progress", label: "Đang thực hiện" },
  { value: "not_yet_due", label: "Chưa đến kỳ thực hiện" },
  { value: "done_on_time", label: "Hoàn thành đúng hạn" },
  { value: "done_late", label: "Hoàn thành quá hạn" },
  { value: "cancelled", label: "Đã hủy" },
  { value: "adjusted", label: "Đã điều chỉnh" },
];

export function TaskStatusTag({ status, label }: { status: TaskStatus; label: string }) {
  return (
    <Tag color={taskStatusColors[status]} data-status={status}>
      {label}
    </Tag>
  );
}

export const priorityLabels = { normal: "Bình thường", high: "Quan trọng", urgent: "Khẩn" } as const;
