// `sylva datasets [list|show ID|delete ID]`: the datasets in the configured store.

import { parseArgs } from "node:util";
import { deleteDataset, getDataset, listDatasets } from "../datasets/catalog.js";
import { storeFromEnv } from "../storage/config.js";
import { UsageError } from "./errors.js";

export const DATASETS_HELP = `usage: sylva datasets [list] [--json]
       sylva datasets show ID
       sylva datasets delete ID

Lists the datasets in the store (SYLVA_DATA_DIR, or S3 when S3_BUCKET is set): id, name, axes and
shape, dtype, pyramid levels and when each was imported; shows one dataset's manifest; deletes one.`;

export async function runDatasets(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(DATASETS_HELP);
    return;
  }
  const [action = "list", id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}\n\n${DATASETS_HELP}`);
  const store = storeFromEnv();
  switch (action) {
    case "list": {
      const { datasets, problems } = await listDatasets(store);
      for (const p of problems) console.error(`warning: ${p}`);
      if (values.json) {
        console.log(JSON.stringify(datasets, null, 2));
        return;
      }
      if (datasets.length === 0) {
        console.log(`no datasets in ${store.description}`);
        return;
      }
      for (const d of datasets) {
        const shape = [...d.axes].map((a, i) => `${a}=${d.shape[i]}`).join(" ");
        console.log(`${d.id}\t${d.name}\t${shape}\t${d.dtype}\t${d.levels.length} levels\t${d.createdAt}`);
      }
      return;
    }
    case "show":
    case "delete": {
      if (!id) throw new UsageError(`datasets ${action} needs a dataset ID\n\n${DATASETS_HELP}`);
      if (action === "show") console.log(JSON.stringify(await getDataset(store, id), null, 2));
      else console.log(`deleted ${id} (${await deleteDataset(store, id)} blobs)`);
      return;
    }
    default:
      throw new UsageError(`unknown datasets action "${action}"\n\n${DATASETS_HELP}`);
  }
}
