// E2E helper: clicks an Export page button, saves the zip it downloads, unpacks it with Python's zipfile (CRCs
// checked: a tool we did not write) and checks the panel names the saved file.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';

export interface ExportedZip {
  /** Where it was unpacked. */
  folder: string;
  /** The file name the studio gave it. */
  name: string;
  /** Its entries, as zipfile lists them. */
  files: string[];
}

/**
 * `panel` is the panel's test-id prefix ('export' for a run, 'config-export' for a config); the button is
 * `<panel>-<target>` and the zip is unpacked into `<dir>/<panel>-<target>`.
 */
export async function exportZip(page: Page, dir: string, panel: 'export' | 'config-export', target: string, timeout = 240_000): Promise<ExportedZip> {
  const download = page.waitForEvent('download', { timeout });
  await page.getByTestId(`${panel}-${target}`).click();
  const file = await download;
  const name = file.suggestedFilename();
  const zip = join(dir, name);
  await file.saveAs(zip);
  const folder = join(dir, `${panel}-${target}`);
  const unzip = 'import zipfile, sys, json\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint(json.dumps(z.namelist()))';
  const files = JSON.parse(execFileSync('python3', ['-c', unzip, zip, folder], { encoding: 'utf8' })) as string[];
  await expect(page.getByTestId(`${panel}-result`)).toContainText(name);
  return { folder, name, files };
}
