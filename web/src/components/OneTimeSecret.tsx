import { Alert, Typography } from "antd";

/** A secret the server shows only once (one-time password, API token), with a copy button. */
export function OneTimeSecret({
  title,
  secret,
  note,
  onClose,
}: {
  title: string;
  secret: string;
  note?: string;
  onClose: () => void;
}) {
  return (
    <Alert
      type="success"
      showIcon
      closable
      onClose={onClose}
      style={{ marginBottom: 16 }}
      message={title}
      description={
        <>
          <Typography.Text code copyable data-testid="one-time-secret">
            {secret}
          </Typography.Text>
          {note && <> — {note}</>}
        </>
      }
    />
  );
}
