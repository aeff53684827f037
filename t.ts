import { readReferenceFiles } from "./server/src/reference/files";
import { validateReferenceFiles } from "./server/src/reference/validate";
try {
  const f = readReferenceFiles();
  const e = validateReferenceFiles(f);
  console.log(e.length);
  console.log(e.slice(0, 60).join("\n"));
} catch (e) {
  console.log(String(e).slice(0, 3000));
}
