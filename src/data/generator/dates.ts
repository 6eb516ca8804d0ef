// Relative date phrases people write (明天, 下周一, "next Friday"), resolved against the date in the
// system prompt. Weeks start on Monday; "下周五" / "next Friday" mean the Friday of next week.

import { addDays } from '../../tools/enterprise/world.ts';

export interface DatePhrase {
  zh: string;
  en: string;
  date: string;
}

const ZH_WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
const EN_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export const zhWeekday = (date: string) => `星期${ZH_WEEKDAYS[weekday(date)]}`;
export const enWeekday = (date: string) => EN_WEEKDAYS[weekday(date)];

/** Monday of the week `weekOffset` weeks from today's week. */
function mondayOf(today: string, weekOffset: number): string {
  const back = (weekday(today) + 6) % 7;
  return addDays(today, -back + 7 * weekOffset);
}

function dayOfWeek(today: string, weekOffset: number, dow: number): string {
  return addDays(mondayOf(today, weekOffset), (dow + 6) % 7);
}

/** Future phrases (for weather, meetings, leave): today up to the end of next week. */
export function futureDatePhrases(today: string): DatePhrase[] {
  const out: DatePhrase[] = [
    { zh: '今天', en: 'today', date: today },
    { zh: '明天', en: 'tomorrow', date: addDays(today, 1) },
    { zh: '后天', en: 'the day after tomorrow', date: addDays(today, 2) },
    { zh: '三天后', en: 'in three days', date: addDays(today, 3) },
  ];
  for (const dow of [3, 5]) {
    const d = dayOfWeek(today, 0, dow);
    if (d > addDays(today, 2)) out.push({ zh: `这周${ZH_WEEKDAYS[dow]}`, en: `this ${EN_WEEKDAYS[dow]}`, date: d });
  }
  for (const dow of [1, 2, 3, 4, 5]) {
    out.push({ zh: `下周${ZH_WEEKDAYS[dow]}`, en: `next ${EN_WEEKDAYS[dow]}`, date: dayOfWeek(today, 1, dow) });
  }
  const abs = addDays(today, 4);
  const [, m, d] = abs.split('-').map(Number);
  out.push({ zh: `${m}月${d}号`, en: `on ${EN_MONTHS[m - 1]} ${d}`, date: abs });
  return out;
}

/** Past phrases (for expenses): yesterday back to last week. */
export function pastDatePhrases(today: string): DatePhrase[] {
  return [
    { zh: '今天', en: 'today', date: today },
    { zh: '昨天', en: 'yesterday', date: addDays(today, -1) },
    { zh: '前天', en: 'the day before yesterday', date: addDays(today, -2) },
    { zh: '上周五', en: 'last Friday', date: dayOfWeek(today, -1, 5) },
    { zh: '上周三', en: 'last Wednesday', date: dayOfWeek(today, -1, 3) },
  ];
}

/** The system prompt line that states the date (and who is asking). */
export function systemLine(lang: 'zh' | 'en', today: string, user: { id: string; nameZh: string; nameEn: string }): string {
  return lang === 'zh'
    ? `当前日期：${today}（${zhWeekday(today)}），当前用户：${user.nameZh}（${user.id}）`
    : `Current date: ${today} (${enWeekday(today)}). Current user: ${user.nameEn} (${user.id}).`;
}
