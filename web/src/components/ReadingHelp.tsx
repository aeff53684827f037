import { QuestionCircleOutlined } from "@ant-design/icons";
import { Popover, Typography } from "antd";

/**
 * What the labels beside a figure mean, in the words a leader uses: where the number comes from (Báo cáo,
 * Cộng dồn a/b, Ước tính) and what each comparison compares (the decisions name them: previous period,
 * same period last year, December of last year, year to date, plan).
 */
export const readingHelp: { term: string; text: string }[] = [
  {
    term: "Báo cáo",
    text:
      "Số liệu do chính địa bàn này báo cáo. Chỉ số liệu đã gửi hoặc đã duyệt được hiển thị; " +
      "bản nháp và số liệu bị trả lại không bao giờ hiện ở đây.",
  },
  {
    term: "Chưa duyệt",
    text: "Số liệu đã gửi nhưng người phê duyệt chưa duyệt (hoặc tổng có cộng số liệu như vậy); có thể còn được sửa.",
  },
  {
    term: "Cộng dồn a/b",
    text:
      "Cộng số liệu của các địa bàn cấp dưới: a địa bàn đã có số liệu trên tổng số b địa bàn. " +
      "Ví dụ “Cộng dồn 34/34” là đủ cả 34 tỉnh, thành phố; khi a nhỏ hơn b thì tổng còn thiếu phần của các địa bàn chưa báo cáo. " +
      "Tỷ lệ, chỉ số giá không bao giờ được cộng dồn.",
  },
  {
    term: "Ước tính",
    text:
      "Một phần số liệu được chia từ đơn vị hành chính cũ (trước sắp xếp năm 2025) theo tỷ lệ dân số hoặc diện tích, " +
      "nên chỉ là gần đúng.",
  },
  { term: "Mẫu", text: "Số liệu mẫu để minh họa, không phải số liệu thật." },
  { term: "So kỳ trước", text: "Thay đổi so với kỳ liền trước: tháng trước, quý trước hoặc năm trước." },
  {
    term: "So cùng kỳ năm trước",
    text: "So với cùng tháng (quý) của năm trước, nên không bị ảnh hưởng bởi mùa vụ, Tết.",
  },
  {
    term: "So với tháng 12 năm trước",
    text: "Thay đổi từ cuối năm trước đến kỳ này; thường dùng cho chỉ số giá tiêu dùng.",
  },
  {
    term: "Lũy kế từ đầu năm",
    text: "Cộng các kỳ từ tháng 1 đến kỳ này (với số tiền, số lượng), so với cùng kỳ năm trước.",
  },
  {
    term: "Bình quân từ đầu năm",
    text: "Trung bình các kỳ từ đầu năm (với tỷ lệ, chỉ số), so với cùng kỳ năm trước.",
  },
  { term: "So kế hoạch", text: "Số thực hiện bằng bao nhiêu phần trăm chỉ tiêu kế hoạch của năm." },
  {
    term: "% và điểm %",
    text: "“+5%” là tăng 5 phần trăm so với số được so sánh; “+0,5 điểm %” là chênh lệch giữa hai tỷ lệ phần trăm.",
  },
];

/** A "?" that explains the labels of a figure; `terms` limits it to those shown beside it. */
export function ReadingHelp({ terms, testId = "reading-help" }: { terms?: string[]; testId?: string }) {
  const items = terms ? readingHelp.filter((h) => terms.includes(h.term)) : readingHelp;
  return (
    <Popover
      title="Cách đọc số liệu"
      trigger={["hover", "click"]}
      content={
        <div className="reading-help" style={{ maxWidth: 380 }} data-testid={`${testId}-content`}>
          {items.map((h) => (
            <div key={h.term} style={{ marginBottom: 6 }}>
              <Typography.Text strong>{h.term}: </Typography.Text>
              <Typography.Text>{h.text}</Typography.Text>
            </div>
          ))}
        </div>
      }
    >
      <QuestionCircleOutlined
        role="button"
        tabIndex={0}
        aria-label="Giải thích cách đọc số liệu"
        data-testid={testId}
        style={{ color: "#8c8c8c", cursor: "help", marginLeft: 4 }}
      />
    </Popover>
  );
}
