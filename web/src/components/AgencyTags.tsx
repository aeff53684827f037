import { Tag, Tooltip } from "antd";
import type { AgencyLink } from "../api/types";

/** Agencies as the document names them; a merged agency shows which agency carries its work today. */
export function AgencyTags({ agencies }: { agencies: AgencyLink[] }) {
  return (
    <>
      {agencies.map((a) =>
        a.current.code !== a.code ? (
          <Tooltip key={a.code + a.asWritten} title={`Nay là: ${a.current.name}`}>
            <Tag color="orange" className="agency-tag">
              {a.asWritten} → {a.current.name}
            </Tag>
          </Tooltip>
        ) : (
          <Tag key={a.code + a.asWritten} className="agency-tag">
            {a.asWritten}
          </Tag>
        ),
      )}
    </>
  );
}
