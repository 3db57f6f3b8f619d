import type { DataChoice, TokenizeProgress, UserDataSummary } from '../worker/protocol';

export interface UserDataSlice {
  /** Which data the next run trains on. */
  dataChoice: DataChoice;
  userText: {
    /** The loaded text; a failed load leaves it as it was. */
    summary: UserDataSummary | undefined;
    /** The file being tokenized, with its progress. */
    loading: { fileName: string; progress: TokenizeProgress } | undefined;
    /** Why the last file was refused. */
    error: string | undefined;
  };
}

export const initialUserData: UserDataSlice = {
  dataChoice: 'openwebtext',
  userText: { summary: undefined, loading: undefined, error: undefined },
};

export const selectDataChoice = (s: UserDataSlice) => s.dataChoice;
export const selectUserText = (s: UserDataSlice) => s.userText;
