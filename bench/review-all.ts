/**
 * One review of a saved `terraform show -json` document written in all four formats, as one
 * process: what `infra review --out` does per format (each file written as it is rendered), done
 * once for all of them, the way `infra plan` writes them into a bundle. bench/review.ts bundles
 * this file and times the whole process (node's start included) against `terraform show -no-color`.
 */
import path from "node:path";
import { keepReviewMemorySmall } from "../src/heap.js";
import { collectReviewedPlan, review, REVIEW_FORMATS, reviewPieces, writeReview } from "../src/workflow/review.js";

const [planJson, outDir] = process.argv.slice(2);
if (!planJson || !outDir) throw new Error("usage: review-all PLAN_JSON OUT_DIR");
keepReviewMemorySmall();
const { summary } = await review(planJson);
collectReviewedPlan();
for (const format of REVIEW_FORMATS) await writeReview(path.join(outDir, `review.${format}`), reviewPieces(summary, null, format), planJson);
