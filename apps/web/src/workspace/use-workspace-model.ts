// Creates the workspace model for a project once the user is known, and destroys it on leave.
import { useEffect, useState } from "react";
import { userColor } from "../collab/user-color";
import { getToken } from "../lib/auth";
import { WorkspaceModel } from "./model";

export function useWorkspaceModel(projectId: string, userName: string | undefined): WorkspaceModel | null {
  const [model, setModel] = useState<WorkspaceModel | null>(null);
  useEffect(() => {
    const token = getToken();
    if (!userName || !token) return;
    const m = new WorkspaceModel(projectId, token, { name: userName, color: userColor(userName) });
    setModel(m);
    return () => {
      m.destroy();
      setModel(null);
    };
  }, [projectId, userName]);
  return model;
}
