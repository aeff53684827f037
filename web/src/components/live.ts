import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

/**
 * Keeps open dashboards fresh: the server pushes an event when figures change (/api/events), and the
 * analytics queries are fetched again at once. Returns when the last change arrived.
 */
export function useLiveData(): string | null {
  const queryClient = useQueryClient();
  const [last, setLast] = useState<string | null>(null);
  useEffect(() => {
    const source = new EventSource("/api/events");
    source.addEventListener("data", (e) => {
      const at = (JSON.parse((e as MessageEvent).data) as { at: string }).at;
      setLast(at);
      void queryClient.invalidateQueries({ queryKey: ["analytics"] });
      void queryClient.invalidateQueries({ queryKey: ["completeness"] });
    });
    return () => source.close();
  }, [queryClient]);
  return last;
}
